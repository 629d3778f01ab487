// Fashion-MNIST (Zalando Research): 28×28 grey images of clothing in ten classes, in MNIST's IDX
// format under MNIST's file names, 60,000 training and 10,000 test images. Read, found and
// downloaded by mnist.ts and mnistDownload.ts from this description.
import path from 'path';
import { IdxDataset } from './mnist';

/** The class names in label order (the README of https://github.com/zalandoresearch/fashion-mnist, "Labels"). */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Fashion-MNIST. */
export const FASHION_MNIST_DATASET: IdxDataset = Object.freeze({
  dataset: 'fashion-mnist',
  title: 'Fashion-MNIST',
  folder: 'fashion-mnist',
  torchvisionFolder: path.join('FashionMNIST', 'raw'),
  classNames: FASHION_MNIST_CLASS_NAMES,
  // Zalando's download links (the README's "Get the Data" table), then the same files in Zalando's
  // repository (its data/fashion/ folder), served over https.
  sources: Object.freeze([
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  ]),
  // The "MD5 Checksum" column of the README's "Get the Data" table,
  // https://github.com/zalandoresearch/fashion-mnist#get-the-data.
  md5: Object.freeze({
    trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
    testImages: 'bef4ecab320f06d8554ea6380940ec79',
    testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
  }),
  size: 'about 30 MB',
});
