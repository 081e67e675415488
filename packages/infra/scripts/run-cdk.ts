// `pnpm --filter infra run synth|diff [-- -c key=value …]`: the CDK CLI with the user's arguments.
import { cdk, userArgs } from './cdk.js';

cdk(userArgs());
