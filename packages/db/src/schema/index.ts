export * from './analytics';
export * from './auth';
export * from './enums';
export * from './sandbox';
export * from './tasks';
export * from './teams';
export * from './usage';
export * from './workers';
