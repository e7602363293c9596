import '@tensorflow/tfjs-backend-cpu';

export { ADDON_PATH, type AddonLoad, type ConvShapeArgs, loadNativeAddon, type NativeAddon } from './addon.ts';
export { NATIVE_BACKEND_NAME, registerNativeBackend } from './backend.ts';
export { resolveThreadCount } from './threads.ts';
