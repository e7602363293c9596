export { type FlattenedInput, flattenedInputOf, type TorchExportOptions, toTorchStateDict } from './torch-layout.ts';
