export { analyses, cancel, type Connection, isFailure, lineage, results, resume, submit, tickets, watch } from './commands.ts';
export { CoordinatorClient } from './coordinator-client.ts';
export { progressBar, renderAnalyses, renderEvent, renderLineage, renderStatus, renderTickets } from './render.ts';
