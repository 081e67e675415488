import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readConfig } from '../src/config.js';
import { buildApp } from '../src/stacks.js';

const app = new App();
// Security rules run on every synth: an unacknowledged finding stops it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
let config: ReturnType<typeof readConfig>;
try {
  config = readConfig(app.node);
} catch (error) {
  // Bad context is the user's to fix: one line, no stack trace.
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
buildApp(app, config);
app.synth();
