// Linked instead of cuda.cu when the build has no CUDA toolkit: the backend is compiled out.
#include "sextant/accel/device.hpp"

namespace sextant::accel {

bool cuda_compiled() noexcept { return false; }

std::unique_ptr<Device> make_cuda_device(std::string* why) {
  if (why) *why = "this build has no cuda backend (configure with the CUDA toolkit installed, SEXTANT_CUDA=ON)";
  return nullptr;
}

}  // namespace sextant::accel
