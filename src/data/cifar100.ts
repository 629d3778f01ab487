// CIFAR-100's binary release as data: its files, its two label bytes (the coarse label 0–19, then
// the fine label 0–99), the class names of both label sets, and where it is published. The readers,
// the archive reader and the downloader (cifar.ts, cifarArchive.ts, download.ts) take it as they
// take CIFAR-10's release. Facts from https://www.cs.toronto.edu/~kriz/cifar.html.
import { CifarRelease } from './cifar';

/** The 100 fine class names in label order (fine_label_names.txt). */
export const CIFAR100_FINE_CLASS_NAMES: readonly string[] = Object.freeze([
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
]);

/** The 20 superclasses in coarse label order (coarse_label_names.txt), each with its five fine classes (the page's table). */
const SUPERCLASSES: readonly (readonly [string, readonly string[]])[] = [
  ['aquatic_mammals', ['beaver', 'dolphin', 'otter', 'seal', 'whale']],
  ['fish', ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout']],
  ['flowers', ['orchid', 'poppy', 'rose', 'sunflower', 'tulip']],
  ['food_containers', ['bottle', 'bowl', 'can', 'cup', 'plate']],
  ['fruit_and_vegetables', ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper']],
  ['household_electrical_devices', ['clock', 'keyboard', 'lamp', 'telephone', 'television']],
  ['household_furniture', ['bed', 'chair', 'couch', 'table', 'wardrobe']],
  ['insects', ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach']],
  ['large_carnivores', ['bear', 'leopard', 'lion', 'tiger', 'wolf']],
  ['large_man-made_outdoor_things', ['bridge', 'castle', 'house', 'road', 'skyscraper']],
  ['large_natural_outdoor_scenes', ['cloud', 'forest', 'mountain', 'plain', 'sea']],
  ['large_omnivores_and_herbivores', ['camel', 'cattle', 'chimpanzee', 'elephant', 'kangaroo']],
  ['medium_mammals', ['fox', 'porcupine', 'possum', 'raccoon', 'skunk']],
  ['non-insect_invertebrates', ['crab', 'lobster', 'snail', 'spider', 'worm']],
  ['people', ['baby', 'boy', 'girl', 'man', 'woman']],
  ['reptiles', ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle']],
  ['small_mammals', ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel']],
  ['trees', ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree']],
  ['vehicles_1', ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train']],
  ['vehicles_2', ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor']],
];

/** The 20 coarse class names (superclasses) in label order (coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASS_NAMES: readonly string[] = Object.freeze(SUPERCLASSES.map(([name]) => name));

/** Each fine label's coarse label (its superclass), indexed by fine label. */
export const CIFAR100_FINE_TO_COARSE: readonly number[] = Object.freeze(
  CIFAR100_FINE_CLASS_NAMES.map((fine) => SUPERCLASSES.findIndex(([, members]) => members.includes(fine))),
);

/** CIFAR-100's binary release: cifar-100-binary.tar.gz, unpacking to cifar-100-binary/. */
export const CIFAR100_RELEASE: CifarRelease = Object.freeze({
  dataset: 'cifar100',
  title: 'CIFAR-100',
  labelBytes: Object.freeze([
    Object.freeze({ set: 'coarse' as const, classes: 20, metaFile: 'coarse_label_names.txt', names: CIFAR100_COARSE_CLASS_NAMES, ofFine: CIFAR100_FINE_TO_COARSE }),
    Object.freeze({ set: 'fine' as const, classes: 100, metaFile: 'fine_label_names.txt', names: CIFAR100_FINE_CLASS_NAMES }),
  ]),
  trainFiles: Object.freeze(['train.bin']),
  testFile: 'test.bin',
  records: Object.freeze({ 'train.bin': 50_000, 'test.bin': 10_000 }),
  folder: 'cifar-100-binary',
  archive: 'cifar-100-binary.tar.gz',
  url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
  // The "CIFAR-100 binary version (suitable for C programs)" row of https://www.cs.toronto.edu/~kriz/cifar.html.
  md5: '03b5dce01913d631647c71ecec9e9cb8',
  size: 'about 170 MB',
});
