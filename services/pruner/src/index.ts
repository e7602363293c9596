/** The pruner service has no reusable parts; its entry point is src/main.ts. */
export {};
