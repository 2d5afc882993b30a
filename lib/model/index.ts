/** The model: types every floor of the library shares. Types only. */
export type * from './config';
export type * from './environment';
export type * from './manifest';
export type * from './parts';
export type * from './resolved';
