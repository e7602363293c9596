export { analyses, type Connection, isFailure, lineage, results, submit, tickets, watch } from './commands.ts';
export { CoordinatorClient } from './coordinator-client.ts';
export { progressBar, renderAnalyses, renderEvent, renderLineage, renderTickets } from './render.ts';
