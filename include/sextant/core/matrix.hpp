#pragma once
// Dense row-major matrices. Convention everywhere: rows are time (T), columns are instruments (N).
// A view is (data, rows, cols, ld) with ld >= cols, which maps onto CBLAS/LAPACKE row-major calls
// and onto Eigen::Map<RowMajor, OuterStride> without copies (see sextant/core/eigen.hpp).
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <utility>
#include <vector>

namespace sextant {

//! 64-byte aligned allocator: whole cache lines, and AVX-512 loads that never split a line.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{64};
  AlignedAllocator() noexcept = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

using AlignedVector = std::vector<double, AlignedAllocator<double>>;

//! The same, except that a vector sized without a value leaves its doubles uninitialised (for
//! Matrix::uninitialized: a 20 MB result written in parallel need not be filled first, serially).
template <class T>
struct UninitAllocator : AlignedAllocator<T> {
  UninitAllocator() noexcept = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialisation: nothing for a double
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <class T>
struct BasicMatrixView {
  T* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t ld = 0;  //!< elements between the starts of consecutive rows

  BasicMatrixView() = default;
  BasicMatrixView(T* d, std::size_t r, std::size_t c, std::size_t lead = 0)
      : data(d), rows(r), cols(c), ld(lead ? lead : c) {}
  //! A mutable view converts to a const one.
  template <class U>
  BasicMatrixView(const BasicMatrixView<U>& o) : data(o.data), rows(o.rows), cols(o.cols), ld(o.ld) {}

  T& operator()(std::size_t i, std::size_t j) const { return data[i * ld + j]; }
  T* row(std::size_t i) const { return data + i * ld; }
  std::size_t size() const { return rows * cols; }
  bool empty() const { return rows == 0 || cols == 0; }
  bool square() const { return rows == cols; }
  bool contiguous() const { return ld == cols; }
};

using MatrixView = BasicMatrixView<const double>;
using MutMatrixView = BasicMatrixView<double>;

//! Owning row-major matrix with aligned, contiguous storage (ld == cols).
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols, double fill = 0.0) : rows_(rows), cols_(cols), data_(rows * cols, fill) {}
  //! Contents unspecified: for a result whose every element the caller writes.
  static Matrix uninitialized(std::size_t rows, std::size_t cols) { return Matrix(rows, cols, Uninit{}); }
  static Matrix identity(std::size_t n) {
    Matrix m(n, n);
    for (std::size_t i = 0; i < n; ++i) m(i, i) = 1.0;
    return m;
  }
  static Matrix copy_of(MatrixView v) {
    Matrix m(v.rows, v.cols);
    for (std::size_t i = 0; i < v.rows; ++i)
      for (std::size_t j = 0; j < v.cols; ++j) m(i, j) = v(i, j);
    return m;
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }
  double& operator()(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
  double operator()(std::size_t i, std::size_t j) const { return data_[i * cols_ + j]; }
  double* row(std::size_t i) { return data_.data() + i * cols_; }
  const double* row(std::size_t i) const { return data_.data() + i * cols_; }
  std::span<double> flat() { return data_; }
  std::span<const double> flat() const { return data_; }

  MatrixView view() const { return {data_.data(), rows_, cols_, cols_}; }
  MutMatrixView mut() { return {data_.data(), rows_, cols_, cols_}; }
  operator MatrixView() const { return view(); }

 private:
  struct Uninit {};
  Matrix(std::size_t rows, std::size_t cols, Uninit) : rows_(rows), cols_(cols), data_(rows * cols) {}

  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double, UninitAllocator<double>> data_;
};

}  // namespace sextant
