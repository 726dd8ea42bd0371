// The projects API's JSON shapes (camelCase, as the reference API speaks). Decimals are strings (decimal.ts).

export interface PropertyJson {
  key: string;
  value: string | null;
}

export interface WorkflowStepDefinition {
  id: string;
  name: string;
  index: number;
  description: string | null;
  hiddenFromCustomer: boolean;
  hiddenFromPartner: boolean;
}

export interface ProjectWorkflowStepJson extends WorkflowStepDefinition {
  current: boolean;
  startDate: string | null;
  dateCompleted: string | null;
}

export interface ProjectTypeJson {
  projectTypeId: number;
  projectTypeName: string;
  workflowSteps: WorkflowStepDefinition[];
  referenceTypes: string[];
  canHaveMultiplePartners: boolean;
  finishOnLastStep: boolean;
  defaultOrderType: string | null;
}

export interface CustomerRefJson {
  id: string | null;
  name: string | null;
  email: string | null;
}

export interface PartnerJson {
  id: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  role: string | null;
}

export interface ProductJson {
  name: string | null;
  skuId: string;
  productId: string | null;
  quantity: string;
  status: string;
  cancellationCode: string | null;
  cancellationReason: string | null;
  properties: PropertyJson[];
  referenceType: string | null;
  orderType: string | null;
  orderId: string | null;
}

export interface ProjectPartJson {
  id: number;
  title: string;
  description: string | null;
  status: string;
  cartIds: string[];
  properties: PropertyJson[];
  created: string;
  modified: string;
}

export interface ChangeOrderJson extends ProjectPartJson {
  approved: string | null;
  approvedBy: string | null;
}

export interface TransactionJson {
  id: number;
  description: string | null;
  cost: string;
  revenue: string;
  budgetCost: string;
  budgetRevenue: string;
  created: string;
}

export interface TransactionSummaryJson {
  totalCost: string;
  totalRevenue: string;
  totalBudgetCost: string;
  totalBudgetRevenue: string;
  /** totalRevenue - totalCost */
  result: string;
  /** totalBudgetRevenue - totalBudgetCost */
  budgetResult: string;
  /** (totalCost - totalBudgetCost) / totalBudgetCost * 100, two decimals; null without a cost budget. */
  costDeviationPercent: string | null;
  revenueDeviationPercent: string | null;
  resultDeviationPercent: string | null;
}

export interface WorkflowLogJson {
  action: string;
  fromStepId: string | null;
  toStepId: string | null;
  reason: string | null;
  createdBy: string | null;
  timestamp: string;
}

/** A project in search results: everything but its lists of products, parts, change orders and transactions. */
export interface ProjectSummaryJson {
  id: number;
  projectNumber: string;
  name: string;
  type: number;
  projectTypeName: string;
  status: string;
  workflowStep: ProjectWorkflowStepJson | null;
  workflowSteps: ProjectWorkflowStepJson[];
  customer: CustomerRefJson | null;
  partner: PartnerJson | null;
  partners: PartnerJson[];
  storeId: string | null;
  storeContact: string | null;
  deadline: string | null;
  projectDate: string | null;
  projectValue: string | null;
  projectBudgetValue: string | null;
  tags: string[];
  comments: string | null;
  customerComments: string | null;
  properties: PropertyJson[];
  relatedOrders: string[];
  relatedCarts: string[];
  relatedCases: string[];
  created: string;
  modified: string;
  canceled: boolean;
  cancellationCode: string | null;
  cancellationReason: string | null;
  deleted: string | null;
}

export interface ProjectJson extends ProjectSummaryJson {
  products: ProductJson[];
  projectParts: ProjectPartJson[];
  changeOrders: ChangeOrderJson[];
  transactions: TransactionJson[];
  transactionSummary: TransactionSummaryJson;
  workflowLog: WorkflowLogJson[];
}

/** Products as a client sends them (quantity a JSON number or decimal text). */
export interface ProductInput {
  name?: string | null;
  skuId: string;
  productId?: string | null;
  quantity: number | string;
  status?: string | null;
  cancellationCode?: string | null;
  cancellationReason?: string | null;
  properties?: PropertyJson[] | null;
  referenceType?: string | null;
  orderType?: string | null;
  orderId?: string | null;
}

/** The fields of a project a client may set (POST, PUT, PATCH). */
export interface ProjectInput {
  name?: string | null;
  type?: number | null;
  status?: string | null;
  customer?: Partial<CustomerRefJson> | null;
  partner?: Partial<PartnerJson> | null;
  partners?: Partial<PartnerJson>[] | null;
  storeId?: string | null;
  storeContact?: string | null;
  deadline?: string | null;
  projectDate?: string | null;
  projectValue?: number | string | null;
  projectBudgetValue?: number | string | null;
  tags?: string[] | null;
  comments?: string | null;
  customerComments?: string | null;
  properties?: PropertyJson[] | null;
  relatedOrders?: string[] | null;
  relatedCarts?: string[] | null;
  canceled?: boolean | null;
  cancellationCode?: string | null;
  cancellationReason?: string | null;
  products?: ProductInput[] | null;
}

/** Status of a new project unless the client gives one; a project whose type finishes on its last step gets FINISHED. */
export const DEFAULT_PROJECT_STATUS = 'Active';
export const FINISHED_PROJECT_STATUS = 'Finished';
/** Status of a new product unless the client gives one. */
export const DEFAULT_PRODUCT_STATUS = 'Active';
/** Status of a new project part or change order unless the client gives one. */
export const PART_STATUSES = ['Sent', 'Rejected', 'Approved', 'Cancelled'] as const;
export const PROJECT_NUMBER_PREFIX = 'PR-';
/** Most products, parts, partners, properties in one project (as case lists are capped). */
export const MAX_PROJECT_LIST_ITEMS = 1_000;
