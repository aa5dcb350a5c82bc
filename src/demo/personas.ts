/** The restaurant demo's personas, as the demo page offers them (server/routes/demo.ts). */
export const DEMO_PERSONAS = [
  {
    id: 'franchise-owner',
    label: 'Franchise owner (admin 7042, 2 Chicago stores)',
    tenantId: '12',
    businessId: '628',
    adminId: '7042',
  },
  {
    id: 'franchise-owner-5',
    label: 'Franchise owner (admin 7043, 5 stores in 5 states: compare with other stores)',
    tenantId: '12',
    businessId: '628',
    adminId: '7043',
  },
  {
    id: 'brand-manager',
    label: 'Brand manager (admin 7001, 200 stores)',
    tenantId: '12',
    businessId: '628',
    adminId: '7001',
  },
  {
    id: 'other-tenant',
    label: 'Brand manager of another tenant (admin 5401, business 544)',
    tenantId: '31',
    businessId: '544',
    adminId: '5401',
  },
  {
    id: 'regional-director',
    label: 'Regional director (admin 7101, the IL and WI stores)',
    tenantId: '12',
    businessId: '628',
    adminId: '7101',
  },
  {
    id: 'operations-analyst',
    label: 'Operations analyst (admin 7102, manager e-mails masked)',
    tenantId: '12',
    businessId: '628',
    adminId: '7102',
  },
  {
    id: 'contractor',
    label: 'Contractor (admin 7103, the last 90 days only)',
    tenantId: '12',
    businessId: '628',
    adminId: '7103',
  },
] as const;
