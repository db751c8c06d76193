import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingsTable, withSettingsTable } from '../dev/settings-table.js';
import { functionDefinitions } from '../functions/registry.js';
import { parseSettings, type SettingDoc, settingDocs } from '../shared/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const readme = read('README.md');
const operations = read('docs/operations.md');
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  engines: { node: string };
};

/** The pages the README sends a reader to, with what each must still hold. */
const movedSections = [
  'docs/operations.md',
  'docs/authentication.md',
  'docs/security.md',
  'docs/deploy.md',
  'bench/README.md',
  'shared/gatekeeper/README.md',
  'shared/ucwa/README.md',
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Relative and repository-absolute (`/…`) link targets of a Markdown page, code blocks left out. */
function localLinks(page: string): string[] {
  const prose = page.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe('README', () => {
  it('fits on a screen: at most 12 KB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
  });

  it('gives the two set-up commands, and both exist', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test\b/m);
    expect(packageJson.scripts.start).toBeDefined();
    expect(packageJson.scripts.test).toBeDefined();
  });

  it('names the supported Node.js versions once, as package.json engines declares them', () => {
    const majors = [...packageJson.engines.node.matchAll(/\^(\d+)/g)].map((match) => match[1]);
    expect(majors.length).toBeGreaterThan(0);
    const named = `Node.js ${majors.join(' or ')}`;
    expect(readme.split(named)).toHaveLength(2);
  });

  it('says how to reproduce the soak figures and check the suite ten times in a row', () => {
    expect(readme).toContain('npm run soak -- --seed 42 --minutes 10');
    expect(readme).toContain('for i in $(seq 10); do npm test || break; done');
  });

  it.each(movedSections)('links to %s', (path) => {
    expect(localLinks(readme)).toContain(path);
  });
});

describe('the settings table in docs/operations.md', () => {
  it('is the one generated from settingDocs (node --import tsx dev/settings-table.ts)', () => {
    expect(operations).toContain(settingsTable());
    expect(withSettingsTable(operations)).toBe(operations);
  });

  it.each(Object.keys(settingDocs))('gives the default of %s that the schema applies', (name) => {
    const value: unknown = parseSettings({})[name as keyof typeof settingDocs];
    const schemaDefault =
      value === undefined || (Array.isArray(value) && value.length === 0) ? undefined : value;
    const doc: SettingDoc = settingDocs[name as keyof typeof settingDocs];
    expect(doc.default).toBe(schemaDefault === undefined ? undefined : String(schemaDefault));
  });
});

describe('docs/operations.md', () => {
  it.each(functionDefinitions.map((definition) => definition.name))('documents the function %s', (name) => {
    expect(operations).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
  });
});

describe.each(['README.md', ...movedSections.filter((path) => path !== 'docs/deploy.md')])(
  'links in %s',
  (page) => {
    const text = read(page);

    it('lead to files and headings that exist', () => {
      for (const target of localLinks(text)) {
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? page : path.startsWith('/') ? path.slice(1) : join(dirname(page), path);
        expect(existsSync(join(root, file)), `${page}: ${target}`).toBe(true);
        if (anchor && file.endsWith('.md')) {
          const headings = [...read(file).matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1] ?? ''));
          expect(headings, `${page}: ${target}`).toContain(anchor);
        }
      }
    });

    it('stay inside the repository', () => {
      for (const target of localLinks(text)) {
        const [path = ''] = target.split('#');
        const resolved = path.startsWith('/') ? path.slice(1) : join(dirname(page), path);
        expect(relative(root, join(root, resolved)).startsWith('..'), `${page}: ${target}`).toBe(false);
      }
    });
  },
);
