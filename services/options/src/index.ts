export { issuesOf, OptionsError, resolveOptions } from './resolve-options.js';
