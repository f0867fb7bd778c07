/** The augmentation package: the pipeline, each augmentation as a pure function, the gallery. */
export { Pipeline, parseAugmentations, listAugmentations } from './pipeline.ts';
export type { PipelineOptions } from './pipeline.ts';
export { AUGMENTATIONS, AUGMENTATION_NAMES, PIXEL_AUGMENTATION_NAMES } from './registry.ts';
export { crop, translate, shift, flip, rotate, rotate90, rotateEach, cutout, cutoutColor } from './geometric.ts';
export type { ApplyOptions } from './geometric.ts';
export { grayscale, colorJitter, randomConv, randomConvKernels, convolveWithKernels } from './color.ts';
export { frequency, highPass, frequencyRadii } from './frequency.ts';
export { overlay } from './overlay.ts';
export { proceduralBackgrounds, folderBackgrounds, resizeImage } from './backgrounds.ts';
export { amplitudeScale, gaussianNoise } from './state.ts';
export { augmentationGallery } from './gallery.ts';
