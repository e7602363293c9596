export { type LayerStats, type TicketStats, ticketStats } from './ticket-stats.ts';
