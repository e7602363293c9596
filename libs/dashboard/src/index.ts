export { lineageNode } from './lineage-node.ts';
export { RunDirSource } from './run-dir-source.ts';
export { CSRF_HEADER, DashboardConfigError, type DashboardOptions, type DashboardServer, startDashboard } from './server.ts';
export { AmbiguousIdError, CannotCancelError, type SweepSource, SweepNotFoundError } from './source.ts';
export { SweepView } from './sweep-view.ts';
export type * from './views.ts';
