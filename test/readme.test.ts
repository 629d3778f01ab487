// The README's main example runs as written, against the built package (dist/ and the addon).
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const root = path.join(__dirname, '..');

function firstJsBlock(markdown: string): string {
  const match = /```js\n([\s\S]*?)```/.exec(markdown);
  if (!match) throw new Error('README.md has no ```js example');
  return match[1];
}

test('the README example runs and shows a converted layer reproducing the convolution', () => {
  const example = firstJsBlock(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-readme-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'wsr-native'), 'dir');
    fs.writeFileSync(path.join(dir, 'example.js'), example);
    const out = execFileSync(process.execPath, ['example.js'], { cwd: dir, encoding: 'utf8', env: { ...process.env, WSR_DEVICE: 'cpu' } });
    expect(out).toMatch(/^conv 8,64,14,14 on cpu; converted layer differs by /m);
    const diff = Number(/differs by (\S+)/.exec(out)![1]);
    expect(diff).toBeLessThan(1e-4);
    expect(out).toContain('radius: 1, dist: 0, cos: 0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
