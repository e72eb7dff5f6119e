export { AccessControl, type Caller, hashToken, type IssuedToken, type TokenRequest } from './access.js';
