// The README and the guides in docs/ stay true to the repository and the code: their examples run,
// their command lines parse, their links and paths exist. (test/readme.test.ts also checks what the
// README's first example prints.) The last block shows each check catching a planted mistake.
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  anchors,
  codeBlocks,
  commandProblems,
  docFiles,
  jsProblems,
  linkProblems,
  pathProblems,
  pythonProblems,
  root,
  shellCommands,
  yamlProblems,
} from './helpers/docs';

const files = docFiles();
const pages = files.map((file) => ({ file, name: path.relative(root, file), text: fs.readFileSync(file, 'utf8') }));

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-docs-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'wsr-native'), 'dir');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the README is a short entry point that links every guide in docs/', () => {
  const readme = pages[0];
  expect(readme.name).toBe('README.md');
  expect(readme.text.split('\n').length).toBeLessThanOrEqual(350);
  const guides = pages.slice(1).map((p) => p.name);
  expect(guides.length).toBeGreaterThanOrEqual(3);
  for (const guide of guides) expect(readme.text).toContain(`](${guide})`);
});

describe.each(pages)('$name', ({ file, text }) => {
  test('relative links and images point to files that exist, anchors to headings', () => {
    expect(linkProblems(file, text)).toEqual([]);
  });
  test('repository paths named in code exist', () => {
    expect(pathProblems(file, text)).toEqual([]);
  });
  test('every wsr-native command line parses: the command exists, and so does each flag with its value', () => {
    expect(commandProblems(file, text)).toEqual([]);
  });
  test('sweep specs are valid and Python examples parse', () => {
    expect([...yamlProblems(file, text), ...pythonProblems(file, text)]).toEqual([]);
  });
  test('js examples run (those marked not run are syntax-checked)', () => {
    expect(jsProblems(file, text, dir)).toEqual([]);
  });
});

test.each(['bench/README.md', 'test/cudasim/README.md'])('the links of %s point to files that exist', (name) => {
  const file = path.join(root, name);
  expect(linkProblems(file, fs.readFileSync(file, 'utf8'))).toEqual([]);
});

test('the guides hold runnable examples and command lines to check', () => {
  const all = pages.slice(1).flatMap((p) => codeBlocks(p.text));
  expect(all.filter((b) => b.lang === 'js' && b.notRun === null).length).toBeGreaterThanOrEqual(2);
  expect(all.filter((b) => b.lang === 'sh').flatMap((b) => shellCommands(b.body)).length).toBeGreaterThanOrEqual(15);
});

describe('each check catches a planted mistake', () => {
  const page = path.join(root, 'docs', 'planted.md');
  const md = (...lines: string[]): string => lines.join('\n') + '\n';

  test('a missing file, a missing anchor, an anchor in another page', () => {
    const text = md('# A page', '', '[gone](missing.md) [here](#a-page) [there](#nowhere)', '![img](runs/nope.png) [ok](training.md#the-run-folder) [bad](training.md#no-such)');
    const problems = linkProblems(page, text);
    expect(problems).toEqual([
      expect.stringMatching(/docs\/planted\.md:3: link \(missing\.md\): docs\/missing\.md does not exist/),
      expect.stringMatching(/#nowhere.*no heading #nowhere/),
      expect.stringMatching(/runs\/nope\.png.*does not exist/),
      expect.stringMatching(/training\.md#no-such.*no heading #no-such/),
    ]);
    expect(anchors(md('# Why ours are below the paper\'s', '## A real study: noise σ 0 vs 0.5, three seeds'))).toEqual(
      new Set(['why-ours-are-below-the-papers', 'a-real-study-noise-σ-0-vs-05-three-seeds']),
    );
  });

  test('a path that does not exist', () => {
    expect(pathProblems(page, md('See `src/train/nope.ts` and `npx jest test/conv test/nope`, or a span', 'that wraps: `npx jest test/mnist', 'test/gone`.'))).toEqual([
      expect.stringMatching(/planted\.md:1: `src\/train\/nope\.ts` does not exist/),
      expect.stringMatching(/planted\.md:1: `test\/nope` does not exist/),
      expect.stringMatching(/planted\.md:2: `test\/gone` does not exist/),
    ]);
  });

  test('an unknown command, an unknown flag, a bad value, extra arguments, a missing npm script', () => {
    const text = md(
      '```sh',
      'npx wsr-native trian --noise 0.5',
      'npx wsr-native train --frobnicate',
      'npx wsr-native train --noise lots     # a comment',
      'npx wsr-native sweep --out s --grid noise=0,0.5 \\',
      '  --seeds 1-3 --no-such-flag',
      'npm run nope && npx wsr-native report a b c',
      'npx wsr-native train --noise 0.5 > out.txt && npx wsr-native train --help',
      '```',
      'Inline: `npx wsr-native export --modle fcn runs/x` and `npx wsr-native <command> --help`.',
    );
    expect(commandProblems(page, text)).toEqual([
      expect.stringMatching(/planted\.md:2: .*no command 'trian'/),
      expect.stringMatching(/planted\.md:3: .*train: unknown option '--frobnicate'/),
      expect.stringMatching(/planted\.md:4: .*argument 'lots' is invalid/),
      expect.stringMatching(/planted\.md:5: .*sweep: unknown option '--no-such-flag'/),
      expect.stringMatching(/planted\.md:7: npm run nope: package.json has no script 'nope'/),
      expect.stringMatching(/planted\.md:7: .*report: 3 argument/),
      expect.stringMatching(/planted\.md:10: .*export: unknown option '--modle'/),
    ]);
  });

  test('a sweep spec with a flag train does not have, Python that does not parse', () => {
    expect(yamlProblems(page, md('```yaml', 'grid:', '  noise: [0, 0.5]', 'train:', '  cnn-epoch: 3', '```'))).toEqual([
      expect.stringMatching(/planted\.md:1: point .*cnn-epoch/),
      expect.stringMatching(/planted\.md:1: point .*cnn-epoch/),
    ]);
    expect(pythonProblems(page, md('```python', 'def f(:', '```'))).toEqual([expect.stringMatching(/not valid Python/)]);
  });

  test('a js example that throws, and one marked not run that does not parse', () => {
    const text = md(
      '```js',
      "const { conv2d } = require('wsr-native');",
      'conv2d(1, 2, 3);',
      '```',
      '<!-- not run: needs a GPU -->',
      '```js',
      'const x = ;',
      '```',
      '<!-- not run: needs data -->',
      '```js',
      "require('wsr-native').readSafetensors('runs/<timestamp>/export/fcn-e0035.safetensors');",
      '```',
    );
    expect(jsProblems(page, text, dir)).toEqual([
      expect.stringMatching(/planted\.md:1: the js example failed:[\s\S]*conv2d: x must be a Tensor/),
      expect.stringMatching(/planted\.md:6: the js example does not parse/),
    ]);
  });
});
