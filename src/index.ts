// Root entry: the types every area shares. Each area has its own subpath export.
export * from './errors.ts';
