#include "coordination/producer_id_manager.h"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

namespace coordination {

namespace {
const std::string& block_path() {
    static const std::string p(znodes::producer_id_block_path);
    return p;
}
}  // namespace

std::shared_ptr<producer_id_manager> producer_id_manager::make(zk_client& zk, int32_t broker_id,
                                                               int64_t block_size) {
    COORDINATION_ASSERT(block_size >= 1, "producer id block size {} < 1", block_size);
    std::shared_ptr<producer_id_manager> m(new producer_id_manager(zk, broker_id, block_size));
    {
        std::lock_guard lock(m->mu_);
        m->claiming_ = true;
    }
    m->start_claim();
    return m;
}

producer_id_manager::producer_id_manager(zk_client& zk, int32_t broker_id, int64_t block_size)
    : zk_(zk), broker_id_(broker_id), block_size_(block_size), retry_timer_(zk.executor()) {}

void producer_id_manager::next_id(std::function<void(result<int64_t>)> cb) {
    std::vector<delivery> out;
    bool claim = false;
    {
        std::lock_guard lock(mu_);
        int64_t id = 0;
        if (stopped_) {
            out.emplace_back(std::move(cb), make_error_code(errc::stopped));
        } else if (waiters_.empty() && take_locked(id)) {
            out.emplace_back(std::move(cb), id);
        } else {
            waiters_.push_back(std::move(cb));
        }
        if (should_claim_locked()) {
            claiming_ = claim = true;
            conflicts_ = transient_failures_ = 0;
        }
    }
    deliver(std::move(out));
    if (claim) start_claim();
}

void producer_id_manager::stop() {
    std::vector<delivery> out;
    {
        std::lock_guard lock(mu_);
        stopped_ = true;
        for (auto& w : waiters_) out.emplace_back(std::move(w), make_error_code(errc::stopped));
        waiters_.clear();
    }
    deliver(std::move(out));
    // The timer belongs to the executor; its handler sees the cancellation and ends the claim.
    boost::asio::post(zk_.executor(), [self = shared_from_this()] { self->retry_timer_.cancel(); });
}

std::optional<producer_id_block> producer_id_manager::current_block() const {
    std::lock_guard lock(mu_);
    return block_;
}

bool producer_id_manager::take_locked(int64_t& id) {
    if (remaining_ == 0 && spare_) {
        block_ = spare_;
        remaining_ = spare_->block_end - spare_->block_start + 1;
        spare_.reset();
    }
    if (remaining_ == 0) return false;
    // block_end - remaining_ + 1 >= block_start >= 0: no overflow, also for a block ending at INT64_MAX.
    id = block_->block_end - remaining_ + 1;
    --remaining_;
    return true;
}

bool producer_id_manager::should_claim_locked() const {
    if (claiming_ || stopped_ || spare_) return false;
    const int64_t threshold = std::max<int64_t>(1, block_size_ / prefetch_divisor);
    return !waiters_.empty() || remaining_ < threshold;
}

void producer_id_manager::serve_waiters_locked(std::vector<delivery>& out) {
    int64_t id = 0;
    while (!waiters_.empty() && take_locked(id)) {
        out.emplace_back(std::move(waiters_.front()), id);
        waiters_.pop_front();
    }
}

void producer_id_manager::deliver(std::vector<delivery> out) {
    for (auto& [cb, r] : out) {
        boost::asio::post(zk_.executor(), [cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
    }
}

void producer_id_manager::start_claim() { read_latest(); }

// Kafka's getNewProducerIdBlock: read the latest block and its znode version; the next block
// starts right after it (or at 0 when there is none); write it conditionally on that version.
void producer_id_manager::read_latest() {
    zk_.get(block_path(), {}, [self = shared_from_this()](std::error_code ec, std::string data, zk_stat stat) {
        {
            std::lock_guard lock(self->mu_);
            if (self->stopped_) {
                self->claiming_ = false;
                return;
            }
        }
        const producer_id_block first{self->broker_id_, 0, self->block_size_ - 1};
        if (ec == zk_errc::no_node) {
            self->write_block(first, std::nullopt);  // create it (a chroot without persistent_paths())
            return;
        }
        if (ec) {
            self->claim_failed(ec);
            return;
        }
        if (data.empty()) {
            self->write_block(first, stat.version);  // created by persistent_paths(): no block yet
            return;
        }
        auto latest = znodes::decode_producer_id_block(data);
        if (!latest) {
            spdlog::error("producer id manager {}: {} does not decode: {}", self->broker_id_, block_path(), data);
            self->claim_failed(latest.error());
            return;
        }
        if (latest.value().block_end > std::numeric_limits<int64_t>::max() - self->block_size_) {
            spdlog::error("producer id manager {}: producer ids exhausted (latest block ends at {})", self->broker_id_,
                          latest.value().block_end);
            self->claim_failed(std::make_error_code(std::errc::value_too_large));
            return;
        }
        const int64_t start = latest.value().block_end + 1;
        self->write_block({self->broker_id_, start, start + self->block_size_ - 1}, stat.version);
    });
}

// A lost response (connection loss after the write was applied) is retried as a new claim that
// reads our own block back and claims the one after: ids are skipped, never handed out twice.
void producer_id_manager::write_block(const producer_id_block& next, std::optional<int32_t> expected_version) {
    std::string data = znodes::encode_producer_id_block(next);
    auto self = shared_from_this();
    if (!expected_version) {
        zk_.create(block_path(), std::move(data), create_mode::persistent,
                   [self, next](std::error_code ec, std::string) {
                       if (!ec) {
                           self->claim_succeeded(next);
                       } else if (ec == zk_errc::node_exists) {
                           self->claim_conflict();  // another broker created it first
                       } else {
                           self->claim_failed(ec);
                       }
                   });
        return;
    }
    zk_.set(block_path(), std::move(data), *expected_version, [self, next](std::error_code ec, zk_stat) {
        if (!ec) {
            self->claim_succeeded(next);
        } else if (ec == zk_errc::bad_version || ec == zk_errc::no_node) {
            self->claim_conflict();  // another broker claimed in between (or the node was deleted)
        } else {
            self->claim_failed(ec);
        }
    });
}

void producer_id_manager::claim_succeeded(const producer_id_block& b) {
    std::vector<delivery> out;
    bool again = false;
    {
        std::lock_guard lock(mu_);
        claiming_ = false;
        if (stopped_) return;  // the block is lost; ids are never reused
        COORDINATION_ASSERT(!spare_, "producer id block claimed while a spare block is unused");
        if (remaining_ == 0) {
            block_ = b;
            remaining_ = b.block_end - b.block_start + 1;
        } else {
            spare_ = b;
        }
        serve_waiters_locked(out);
        if (should_claim_locked()) {
            claiming_ = again = true;
            conflicts_ = transient_failures_ = 0;
        }
    }
    spdlog::info("producer id manager {}: claimed producer ids [{}, {}]", broker_id_, b.block_start, b.block_end);
    deliver(std::move(out));
    if (again) start_claim();
}

void producer_id_manager::claim_conflict() {
    if (++conflicts_ > max_conflicts) {
        claim_failed(make_error_code(zk_errc::bad_version));
        return;
    }
    read_latest();
}

void producer_id_manager::claim_failed(std::error_code ec) {
    if (is_session_error(ec) && ec != zk_errc::closing && transient_failures_ < transient_retries) {
        auto backoff = first_retry_backoff * (1 << transient_failures_);
        ++transient_failures_;
        spdlog::warn("producer id manager {}: claiming a block failed ({}), retrying in {} ms", broker_id_,
                     ec.message(), backoff.count());
        retry_timer_.expires_after(backoff);
        retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code tec) {
            // Only stop() cancels the timer; its waiters have been told already.
            if (tec) {
                self->end_claim(make_error_code(errc::stopped));
                return;
            }
            {
                std::lock_guard lock(self->mu_);
                if (self->stopped_) {
                    self->claiming_ = false;
                    return;
                }
            }
            self->read_latest();
        });
        return;
    }
    spdlog::warn("producer id manager {}: claiming a block failed: {}", broker_id_, ec.message());
    end_claim(ec);
}

void producer_id_manager::end_claim(std::error_code ec) {
    std::vector<delivery> out;
    {
        std::lock_guard lock(mu_);
        claiming_ = false;
        for (auto& w : waiters_) out.emplace_back(std::move(w), ec);
        waiters_.clear();
    }
    deliver(std::move(out));
}

}  // namespace coordination
