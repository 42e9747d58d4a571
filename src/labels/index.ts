/** Class names: the shipped ImageNet list (1000 / 1001 with background), user label files, top-k. */
export { BACKGROUND_LABEL, IMAGENET_CLASSES, imagenetLabels, loadLabels, parseLabels } from './labels.js';
export { softmax, topK } from './top.js';
export type { TopClass } from './top.js';
