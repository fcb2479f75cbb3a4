// Public entry point of the les-provider package. Grows as the layers land.
export { LespError } from './errors.js';
