// Preloaded into child services (Azurite) started by the tests. A child outlives a crashed or killed test
// runner; its stdin is a pipe from the parent, and that pipe closes when the parent dies, however it dies.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
