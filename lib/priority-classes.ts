import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, standardLabels } from './conventions/labels';
import { PRIORITY_TIERS, priorityClassName, PriorityTier } from './conventions/priority';
import { waveAnnotations } from './conventions/ordering';

/** Props for {@link PriorityClasses}. */
export interface PriorityClassesProps {
  /** Instance name; the classes are `<instance>-frontend`, `-data` and `-workers`. */
  readonly instance: string;
  /** The version label. */
  readonly version: string;
}

/**
 * The three PriorityClasses (cluster-scoped, so they carry no namespace). See
 * `PRIORITY_TIERS` in conventions/priority.ts for what each holds. One set per instance in an
 * App: a second would emit the same cluster-wide objects twice, so it is refused.
 */
export class PriorityClasses extends Construct {
  /** The set of `instance` anywhere in the App of `scope`, if one was built. */
  public static find(scope: Construct, instance: string): PriorityClasses | undefined {
    return scope.node.root.node.findAll().find((x): x is PriorityClasses => x instanceof PriorityClasses && x.instance === instance);
  }

  public readonly classes: Readonly<Record<PriorityTier, k8s.KubePriorityClass>>;
  /** The instance name the classes belong to. */
  public readonly instance: string;

  constructor(scope: Construct, id: string, props: PriorityClassesProps) {
    const existing = PriorityClasses.find(scope, props.instance);
    if (existing) {
      throw new Error(`PriorityClasses ${props.instance}: the App already holds this instance's PriorityClasses (${existing.node.path}); they are cluster-wide, so a second set would emit the same objects twice. Use that one: pass it as priorityClasses, or priorityClasses: true to a MastodonEnvironment`);
    }
    super(scope, id);
    this.instance = props.instance;
    const identity: Identity = { instance: props.instance, component: 'priority', version: props.version };
    const classes = {} as Record<PriorityTier, k8s.KubePriorityClass>;
    for (const tier of Object.keys(PRIORITY_TIERS) as PriorityTier[]) {
      const t = PRIORITY_TIERS[tier];
      const pc = new k8s.KubePriorityClass(this, tier, {
        metadata: { name: priorityClassName(props.instance, tier), labels: standardLabels(identity), annotations: waveAnnotations('secrets') },
        value: t.value,
        globalDefault: false,
        preemptionPolicy: t.preempts ? 'PreemptLowerPriority' : 'Never',
        description: t.description,
      });
      // The chart's namespace would otherwise be stamped on a cluster-scoped object.
      ApiObject.of(pc).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      classes[tier] = pc;
    }
    this.classes = classes;
  }
}
