#include "protocol/frame.h"

namespace protocol {

frame_status split_frame(std::span<const uint8_t> bytes, int32_t max_frame_size) {
    frame_status st;
    if (bytes.size() < 4) return st;
    uint32_t u = (static_cast<uint32_t>(bytes[0]) << 24) | (static_cast<uint32_t>(bytes[1]) << 16) |
                 (static_cast<uint32_t>(bytes[2]) << 8) | static_cast<uint32_t>(bytes[3]);
    st.size = static_cast<int32_t>(u);
    if (st.size < 0) {
        st.kind = frame_status::bad_size;
    } else if (st.size > max_frame_size) {
        st.kind = frame_status::too_large;
    } else if (bytes.size() - 4 >= static_cast<size_t>(st.size)) {
        st.kind = frame_status::frame;
    }
    return st;
}

}  // namespace protocol
