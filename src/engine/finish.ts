import type { DeploymentState } from '../domain/index.js';
import type { DeploymentTransaction, StoreScope } from '../store/index.js';
import type { DeploymentContext } from './context.js';
import { promoteAfterSuccess } from './promotion.js';

/**
 * Ends a deployment in a terminal state and does, in the same transaction, what every
 * ending needs: no more engine work, open tasks cancelled, the requester and subscribers
 * told, and, on success, the flow's next stage requested or marked promotable.
 */
export async function finishDeployment(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  to: DeploymentState,
  reason: string,
  actorId?: string,
  data?: Record<string, unknown>,
): Promise<void> {
  transaction.transition(to, reason, {
    ...(actorId !== undefined && { actorId }),
    ...(data !== undefined && { data }),
  });
  await transaction.unschedule();
  await transaction.cancelOpenTasks();
  await transaction.cancelOpenGates();
  const subject = context.members.map((member) => `${member.component}@${member.version}`).join(', ');
  const serviceIds = [...new Set(context.members.map((member) => member.serviceId))];
  const subscribers = await store.notifications.subscribers(
    transaction.db,
    context.environment.id,
    serviceIds,
  );
  const recipients = [...new Set([transaction.row.requested_by, ...subscribers])];
  await store.notifications.add(
    transaction.db,
    recipients.map((principalId) => ({
      principalId,
      deploymentId: transaction.row.id,
      kind: `deployment.${to}`,
      subject: `${subject} → ${context.environment.name}: ${to}`,
      body: `Deployment ${transaction.row.id} of ${subject} into ${context.environment.name} (stage ${context.stage.name}) ended ${to}: ${reason}`,
    })),
  );
  transaction.append('notified', { recipients: recipients.length, outcome: to });
  if (to === 'succeeded') await promoteAfterSuccess(store, transaction, context);
}
