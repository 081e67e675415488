import type { CloudAssemblyModel } from '../../assembly/model.js';

/**
 * Private REST APIs AWS would not deploy: one without a resource policy ("For a private API, you
 * can't deploy your API without a resource policy",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html).
 */
export function privateApiProblems(model: CloudAssemblyModel): string[] {
  return model.apis
    .filter((api) => api.endpointType === 'PRIVATE' && !api.policy)
    .map(
      (api) =>
        `${api.stackName} ${api.logicalId}: a private REST API without a resource policy, which API Gateway does not deploy ("Private REST API doesn't have a resource policy attached to it"); give it one that allows your VPC endpoints`,
    );
}

/**
 * One line per private API no execute-api endpoint of the app reaches (every call then answers
 * 403 Forbidden, as from outside a VPC).
 */
export function privateApiWarnings(model: CloudAssemblyModel): string[] {
  const executeApi = model.vpcEndpoints.filter((endpoint) => endpoint.service === 'execute-api');
  return model.apis
    .filter((api) => api.endpointType === 'PRIVATE' && !executeApi.some((endpoint) => endpoint.region === api.region))
    .map(
      (api) =>
        `${api.stackName} ${api.logicalId}: private REST API ${api.restApiId}, and no execute-api VPC endpoint in ${api.region} in the app: every call answers 403 Forbidden, as from outside a VPC (serve the app with the endpoint too: --app <other app>)`,
    );
}
