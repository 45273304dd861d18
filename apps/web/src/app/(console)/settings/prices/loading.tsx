import { PriceTableSkeleton } from '@/components/prices/price-table';

export default function Loading() {
  return <PriceTableSkeleton />;
}
