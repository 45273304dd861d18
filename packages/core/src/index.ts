export {
  type ApiBackend,
  type ApiBackendOptions,
  apiSummarizer,
  type CompleteRequest,
  createApiBackend,
  type Run,
  type RunInput,
} from './api-backend.js';
