export { type PluginConfig, readPluginConfig } from './config.ts';
export {
  type AnalysisOutput,
  type DomainEvent,
  definePlugin,
  experimentOf,
  type PluginContext,
  type PluginDefinition,
  PluginDefinitionError,
  type PluginEventType,
} from './define.ts';
export { type RunningPlugin, runPlugin, startPlugin } from './run.ts';
export { PluginWorker, type PluginWorkerOptions } from './worker.ts';
