/** The entry point the Functions host loads (package.json `main`): one import per function. */
import './health.js';
