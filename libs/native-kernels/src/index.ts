import '@tensorflow/tfjs-backend-cpu';

export { ADDON_PATH, type AddonLoad, loadNativeAddon, type NativeAddon } from './addon.ts';
export { NATIVE_BACKEND_NAME, registerNativeBackend } from './backend.ts';
export { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL, type BatchNormAttrs, batchNormTrainGradConfig } from './kernels/batchnorm.ts';
export { MASKED_SGD_KERNEL, type MaskedSgdAttrs } from './kernels/sgd.ts';
export { resolveThreadCount } from './threads.ts';
