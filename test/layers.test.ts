/**
 * The layers hold by rule, not by convention (docs/architecture.md): the dependency rule that `npm
 * test` runs (`npm run layers`, .dependency-cruiser.cjs) passes on this tree and fails on a forbidden
 * import; and the operator commands stay small (no file over 200 lines, no function over 60).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-layers-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run the rule on `folders` of `cwd`: its exit code and what it printed. */
function cruise(cwd: string, folders: string[]) {
  const ran = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', ...folders], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: ran.status, out: `${ran.stdout}${ran.stderr}` };
}

/** A scratch tree laid out like Conveyor's, holding `files` (path → source). */
function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true } }));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('the dependency rule', () => {
  it('passes on this tree, as npm test runs it', () => {
    const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.layers as string;
    const folders = script.split(' ').filter((word) => /^[a-z]+$/.test(word) && fs.existsSync(path.join(ROOT, word)));
    assert.ok(folders.length >= 15, `npm run layers checks every folder: ${script}`);
    const { code, out } = cruise(ROOT, folders);
    assert.equal(code, 0, out);
  });

  it('fails on a lower layer importing a higher one, naming the import', () => {
    const dir = tree('upward', { 'common/ids.ts': "import { root } from '../lake/layout';\nexport const id = root;\n", 'lake/layout.ts': "export const root = 'lake';\n" });
    const { code, out } = cruise(dir, ['common', 'lake']);
    assert.notEqual(code, 0, out);
    assert.match(out, /not-in-allowed: common\/ids\.ts → lake\/layout\.ts/);
  });

  it('fails on workflow code that imports a Node built-in', () => {
    const dir = tree('node-in-workflow', { 'workflows/run.ts': "import fs from 'node:fs';\nexport const exists = fs.existsSync;\n" });
    const { code, out } = cruise(dir, ['workflows']);
    assert.notEqual(code, 0, out);
    assert.match(out, /workflow-safe-is-pure: workflows\/run\.ts → (node:)?fs$/m);
  });

  it("fails on a pipeline reaching into Conveyor's tree past conveyor/pipeline", () => {
    const dir = tree('pipeline-reach', {
      'pipelines/sales/definition.ts': "import { root } from '../../lake/layout';\nexport const p = root;\n",
      'lake/layout.ts': "export const root = 'lake';\n",
    });
    const { code, out } = cruise(dir, ['pipelines', 'lake']);
    assert.notEqual(code, 0, out);
    assert.match(out, /pipelines-import-the-sdk: pipelines\/sales\/definition\.ts → lake\/layout\.ts/);
  });
});

describe('the operator commands stay small', () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const commandFiles = files(path.join(ROOT, 'cli'));

  it('no file in cli/ is over 200 lines', () => {
    const long = commandFiles.map((f) => [path.relative(ROOT, f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 200);
    assert.deepEqual(long, []);
  });

  it('no function in cli/ is over 60 lines', () => {
    const long: string[] = [];
    for (const file of commandFiles) {
      const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = line(node.getEnd()) - line(node.getStart()) + 1;
          if (lines > 60) long.push(`${path.relative(ROOT, file)}:${line(node.getStart()) + 1} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(long, []);
  });
});
