/**
 * What each folder may import: the layers of docs/architecture.md, checked by `npm run layers`
 * (part of `npm test`, so CI fails on a forbidden import; test/layers.test.ts proves it does).
 *
 * A folder may import the folders below it and itself, never one above. Any folder may use npm
 * packages and Node's built-ins, except the two workflow-safe ones: `common/` (pure, imported by
 * workflow code) and `workflows/` (deterministic, bundled for Temporal's sandbox).
 */
const layer = (name, allowed) => ({
  from: { path: `^${name}/` },
  to: { path: `^(${[name, ...allowed].join('|')})/` },
});

// Lowest first. Each layer lists what it may import besides itself.
const BELOW_STORAGE = ['common', 'platform'];
const STORAGE = [...BELOW_STORAGE, 'lake', 'landing'];
const MODEL = [...STORAGE, 'definitions', 'sources', 'transforms'];
// A workflow's contract: its input schema, signals and queries, importable by whoever starts or signals it.
const WORKFLOW_CONTRACT = '^workflows/[^/]+-(api|input|signals)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'workflow-safe-is-pure',
      comment: 'common/ and workflows/ run inside workflow code: no Node built-ins (fs, path, crypto, ...).',
      severity: 'error',
      from: { path: '^(common|workflows)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workflow-safe-packages',
      comment: 'common/ and workflows/ may use only zod and the Temporal SDK packages that are safe in workflow code.',
      severity: 'error',
      from: { path: '^(common|workflows)/' },
      to: { dependencyTypes: ['npm'], pathNot: '^node_modules/(zod|@temporalio/(common|workflow))/' },
    },
    {
      name: 'pipelines-import-the-sdk',
      comment: "A pipeline's folder imports Conveyor only through conveyor/pipeline (pipelines/sdk.ts).",
      severity: 'error',
      from: { path: '^pipelines/[^/]+/' },
      to: { path: '^(common|platform|lake|landing|definitions|sources|activities|workflows|workers|monitoring|client|dashboard|cli|scripts|bench|test)/' },
    },
    {
      name: 'no-cycles',
      comment: 'Modules do not import each other in a circle (type-only imports excepted).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  allowed: [
    // npm packages and Node built-ins (common/ and workflows/ are held back by the rules above).
    { from: {}, to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'core', 'npm-no-pkg', 'npm-unknown'] } },
    layer('common', []),
    layer('workflows', ['common']),
    { from: { path: '^workflows/' }, to: { path: '^activities/', dependencyTypes: ['type-only'] } },
    layer('platform', ['common']),
    layer('lake', BELOW_STORAGE),
    layer('landing', [...BELOW_STORAGE, 'lake']),
    layer('definitions', STORAGE),
    layer('sources', [...STORAGE, 'definitions']),
    layer('transforms', [...STORAGE, 'definitions', 'sources']),
    layer('monitoring', MODEL),
    { from: { path: '^(monitoring|activities|client)/' }, to: { path: WORKFLOW_CONTRACT } },
    { from: { path: '^(client)/' }, to: { path: '^workflows/', dependencyTypes: ['type-only'] } },
    layer('activities', [...MODEL, 'monitoring']),
    layer('workers', [...MODEL, 'activities', 'workflows']),
    layer('client', [...MODEL, 'monitoring']),
    layer('dashboard', [...MODEL, 'monitoring', 'client']),
    // The dev stack: Temporal's servers, PostgreSQL, SeaweedFS, tool builds, the test runner.
    layer('scripts', [...MODEL, 'workers', 'workflows']),
    // The operator commands: everything a user drives.
    { from: { path: '^cli/' }, to: { path: '^package\\.json$' } },
    layer('cli', [...MODEL, 'monitoring', 'activities', 'workflows', 'workers', 'client', 'dashboard', 'scripts']),
    layer('bench', [...MODEL, 'monitoring', 'activities', 'workflows', 'workers', 'client', 'dashboard', 'scripts', 'pipelines']),
    // A pipeline's folder: conveyor/pipeline and its own files. The SDK sits on the model.
    { from: { path: '^pipelines/([^/]+)/' }, to: { path: '^pipelines/($1/|sdk\\.ts$)' } },
    { from: { path: '^pipelines/[^/]+\\.ts$' }, to: { path: `^(${[...MODEL, 'pipelines'].join('|')})/` } },
    layer('packages', ['client', 'common', 'workflows']),
    layer('test', ['[a-z]+']),
  ],
  allowedSeverity: 'error',
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.tools|\\.build|\\.data|packages/client/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
