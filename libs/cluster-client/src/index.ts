export { type Connection, isFailure, lineage, submit, tickets, watch } from './commands.ts';
export { CoordinatorClient } from './coordinator-client.ts';
export { progressBar, renderEvent, renderLineage, renderTickets } from './render.ts';
