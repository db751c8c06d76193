// Stands in for `@azure/functions-core`, the module the real Functions worker injects: it records every
// function the app registers and prints them as one JSON line when the process exits.
const Module = require('node:module');

const captured = [];
const hooks = [];
const disposable = { dispose() {} };
const core = {
  registerFunction(metadata) {
    captured.push(metadata);
    return disposable;
  },
  registerHook(name) {
    hooks.push(name);
    return disposable;
  },
  setProgrammingModel() {},
  getProgrammingModel() {},
  log() {},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
process.on('exit', () =>
  process.stdout.write(`\nCAPTURED ${JSON.stringify(captured)}\nHOOKS ${JSON.stringify(hooks)}\n`),
);
