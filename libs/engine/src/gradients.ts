/**
 * Registers tfjs's gradient functions. tfjs-core's Node bundle ships none (only the `@tensorflow/tfjs`
 * bundle registers them, and tfjs-core's own per-op ESM files cannot be loaded by Node), so
 * autodiff would fail with "gradient function not found" without this side-effect import.
 */
import '@tensorflow/tfjs';
