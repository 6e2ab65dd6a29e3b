export { DatasetError, IMAGE_PIXELS, scanClassFile } from './class-file.js';
export {
  defaultDataDir,
  FASHION_MNIST_LABELS,
  type ImageSet,
  imageAt,
  type LoadOptions,
  loadFashionMnist,
  SPLITS,
  type Split,
  TEST_PER_CLASS,
  VALIDATION_EVERY,
} from './fashion-mnist.js';
