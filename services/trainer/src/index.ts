export { readConfig, type TrainerConfig } from './config.ts';
