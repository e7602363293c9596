export { analyzerService } from './analyzer.ts';
