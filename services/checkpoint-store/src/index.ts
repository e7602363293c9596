export { readConfig, type StoreServiceConfig } from './config.ts';
export { storeService } from './store-service.ts';
