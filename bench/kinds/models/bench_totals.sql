-- Orders and revenue per currency of the partition ({{ var('conveyor_partition') }}).
select currency, count(*) as orders, sum(cast(amount as decimal(18, 2))) as revenue
from {{ source('conveyor', 'raw') }}
group by currency
