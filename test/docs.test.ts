/**
 * The documentation holds together: every relative link in README.md and docs/**\/*.md resolves to a
 * file (and an anchor to a heading of it, by GitHub's slug rules), the README stays short, and no page
 * mentions an `npm run <script>` that package.json does not define.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');

/** README.md and every Markdown file under docs/. */
function markdownFiles(): string[] {
  const under = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const p = path.join(dir, d.name);
      return d.isDirectory() ? under(p) : d.name.endsWith('.md') ? [p] : [];
    });
  return [README, ...under(path.join(ROOT, 'docs')).sort()];
}

/** The file's lines outside fenced code blocks (``` or ~~~), with inline code spans blanked out. */
function proseLines(text: string): { line: string; no: number }[] {
  const out: { line: string; no: number }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const opened = /^\s*(`{3,}|~{3,})/.exec(line);
    if (opened) {
      if (fence === undefined) fence = opened[1]![0]!;
      else if (opened[1]![0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: line.replace(/(`+)(?:(?!\1).)+?\1/g, (m) => ' '.repeat(m.length)), no: i + 1 });
  });
  return out;
}

/** GitHub's anchor for a heading: lower-case, punctuation other than - and _ dropped, spaces to -. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (a repeated heading gets -1, -2, … as on GitHub). */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const opened = /^\s*(`{3,}|~{3,})/.exec(line);
    if (opened) {
      if (fence === undefined) fence = opened[1]![0]!;
      else if (opened[1]![0] === fence) fence = undefined;
      continue;
    }
    const heading = fence === undefined && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = githubSlug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Broken {
  file: string;
  line: number;
  link: string;
  why: string;
}

/** Every relative link of `file` that does not resolve, with why. */
function brokenLinks(file: string): Broken[] {
  const broken: Broken[] = [];
  const rel = path.relative(ROOT, file);
  for (const { line, no } of proseLines(fs.readFileSync(file, 'utf8'))) {
    for (const m of line.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
      const [target, anchor] = link.split('#', 2) as [string, string | undefined];
      const resolved = target === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
      const fail = (why: string) => broken.push({ file: rel, line: no, link, why });
      if (!fs.existsSync(resolved)) {
        fail(`${path.relative(ROOT, resolved)} does not exist`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md') || fs.statSync(resolved).isDirectory()) {
        fail(`an anchor into ${path.relative(ROOT, resolved)}, which is not a Markdown file`);
        continue;
      }
      const anchors = anchorsOf(resolved);
      if (!anchors.has(decodeURIComponent(anchor))) fail(`${path.relative(ROOT, resolved)} has no heading whose anchor is #${anchor}`);
    }
  }
  return broken;
}

describe('the documentation', () => {
  it('GitHub slugs: lower-case, punctuation but - and _ dropped, spaces to -', () => {
    assert.equal(githubSlug('The lake in a bucket: `CONVEYOR_LAKE_URL`'), 'the-lake-in-a-bucket-conveyor_lake_url');
    assert.equal(githubSlug('A partition failed: what now?'), 'a-partition-failed-what-now');
    assert.equal(githubSlug('Watching the data: monitors, alerts, status'), 'watching-the-data-monitors-alerts-status');
    assert.equal(githubSlug('On one machine, natively: `npx conveyor cluster`'), 'on-one-machine-natively-npx-conveyor-cluster');
  });

  it('every relative link in README.md and docs/**/*.md resolves, anchors included', () => {
    const files = markdownFiles();
    assert.ok(files.length > 1, `found ${files.length} Markdown files`);
    const broken = files.flatMap(brokenLinks);
    assert.deepEqual(
      broken.map((b) => `${b.file}:${b.line}: (${b.link}): ${b.why}`),
      [],
      `broken links:\n${broken.map((b) => `  ${b.file}:${b.line}: (${b.link}): ${b.why}`).join('\n')}`,
    );
  });

  it('README.md is at most 200 lines', () => {
    const lines = fs.readFileSync(README, 'utf8').replace(/\n$/, '').split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines; move detail into docs/`);
  });

  it('no page mentions an npm script that package.json does not define', () => {
    const scripts = new Set(Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));
    const unknown: string[] = [];
    for (const file of markdownFiles()) {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const m of line.matchAll(/\bnpm run(?: -s| --silent)? ([A-Za-z][\w:-]*)/g)) {
            if (!scripts.has(m[1]!)) unknown.push(`${path.relative(ROOT, file)}:${i + 1}: npm run ${m[1]}`);
          }
        });
    }
    assert.deepEqual(unknown, [], `scripts package.json does not define:\n  ${unknown.join('\n  ')}`);
  });
});
