export { issuesOf, OptionsError, resolveOptions } from './resolve-options.js';
export { type ClientTlsFiles, ClientTlsFilesSchema } from './tls-files.js';
