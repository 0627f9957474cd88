/** Workflow IDs are part of the contract: one ID per partition means one run of it at a time. */
export function partitionWorkflowId(pipeline: string, partition: string): string {
  return `${pipeline}/${partition}`;
}
