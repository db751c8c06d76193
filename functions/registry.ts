import type { FunctionDefinition } from './definition.js';
import { health } from './health.js';

/** Every function of the app: the one list both the Functions host and the local host read. */
export const functionDefinitions: readonly FunctionDefinition[] = [health];
