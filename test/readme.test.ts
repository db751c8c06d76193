import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../functions/registry.js';
import { settingDocs } from '../shared/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('README', () => {
  it('gives the two set-up commands, and both exist', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test\b/m);
    expect(packageJson.scripts.start).toBeDefined();
    expect(packageJson.scripts.test).toBeDefined();
  });

  it.each(Object.keys(settingDocs))('documents the setting %s in the settings table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
  });

  it.each(functionDefinitions.map((definition) => definition.name))('documents the function %s', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
  });
});
