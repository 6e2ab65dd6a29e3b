#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loader (no build step), so signals
// such as SIGTERM reach the server directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
