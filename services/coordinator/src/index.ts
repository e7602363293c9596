export { readConfig as readCoordinatorConfig } from './config.ts';
export { Mailbox } from './mailbox.ts';
