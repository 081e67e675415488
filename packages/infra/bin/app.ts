import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readConfig } from '../src/config.js';
import { buildApp } from '../src/stacks.js';

const app = new App();
// Security rules run on every synth: an unacknowledged finding stops it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
buildApp(app, readConfig(app.node));
app.synth();
